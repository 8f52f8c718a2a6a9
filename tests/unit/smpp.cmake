# SMPP codec and ESME connection tests (the connection lives in raia_gateway).
raia_unit_test(smpp_pdu_test SOURCES smpp_pdu_test.c LIBS raia_smpp)
raia_unit_test(smpp_conn_test SOURCES smpp_conn_test.c LIBS raia_gateway)
