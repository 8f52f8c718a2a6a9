raia_unit_test(gateway_test SOURCES gateway_test.c LIBS raia_gateway)
raia_unit_test(dlr_dedup_test SOURCES dlr_dedup_test.c LIBS raia_gateway)
raia_unit_test(session_cache_test SOURCES session_cache_test.c LIBS raia_gateway)
raia_unit_test(my_data_test SOURCES my_data_test.c LIBS raia_gateway)
