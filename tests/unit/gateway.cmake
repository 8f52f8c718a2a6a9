raia_unit_test(gateway_test SOURCES gateway_test.c LIBS raia_gateway)
