# api/: safe tables against hand-computed tables and an attacker (GLPK's
# simplex computes the bounds a suppressed cell can take).
find_library(GLPK_LIB glpk REQUIRED)
raia_unit_test(safe_table_test SOURCES safe_table_test.c LIBS raia_api ${GLPK_LIB} m)
