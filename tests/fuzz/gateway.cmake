raia_fuzz_target(fuzz_config_load SOURCES fuzz_config_load.c LIBS raia_gateway)
raia_fuzz_target(fuzz_dlr_parse SOURCES fuzz_dlr_parse.c LIBS raia_gateway)
