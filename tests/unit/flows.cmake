raia_unit_test(flows_test SOURCES flows_test.c LIBS raia_flows)
