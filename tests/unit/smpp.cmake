# SMPP codec and ESME connection tests. The connection test links
# raia_gateway, which holds smpp_conn.c; raia_smpp_conn is a local stand-in
# for builds where raia_gateway does not exist.
raia_unit_test(smpp_pdu_test SOURCES smpp_pdu_test.c LIBS raia_smpp)
if(TARGET raia_gateway)
  raia_unit_test(smpp_conn_test SOURCES smpp_conn_test.c LIBS raia_gateway)
else()
  raia_unit_test(smpp_conn_test SOURCES smpp_conn_test.c LIBS raia_smpp_conn)
endif()
