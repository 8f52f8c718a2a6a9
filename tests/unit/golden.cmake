# Golden transcripts of the shipped flows (tests/golden/) and randomized
# sessions of every flow in config/flows/; both link raia_flows only.
raia_unit_test(flow_golden_test SOURCES flow_golden_test.c LIBS raia_flows)
raia_unit_test(flow_random_test SOURCES flow_random_test.c LIBS raia_flows)
