# libFuzzer target for the flow loader, checker and engine.
raia_fuzz_target(fuzz_flow_load SOURCES fuzz_flow_load.c LIBS raia_flows)
