# raia-api's request parsing: path, query string and cursor (api/api_params.c).
raia_fuzz_target(fuzz_api_params SOURCES fuzz_api_params.c LIBS raia_api)
