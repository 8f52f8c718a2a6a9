raia_unit_test(flows_test SOURCES flows_test.c LIBS raia_flows)
raia_unit_test(flows_checker_test SOURCES flows_checker_test.c LIBS raia_flows)
raia_unit_test(flows_types_test SOURCES flows_types_test.c LIBS raia_flows)
raia_unit_test(flows_contact_test SOURCES flows_contact_test.c LIBS raia_flows)
