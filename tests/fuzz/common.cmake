raia_fuzz_target(fuzz_charset SOURCES fuzz_charset.c LIBS raia_common)
