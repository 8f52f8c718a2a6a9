# SMPP codec and ESME connection tests (the connection lives in raia_gateway).
raia_unit_test(smpp_pdu_test SOURCES smpp_pdu_test.c LIBS raia_smpp)
raia_unit_test(smpp_conn_test SOURCES smpp_conn_test.c LIBS raia_gateway)
# Long SMS split / reassembly and the long-message and receipt TLVs.
raia_unit_test(sms_concat_test SOURCES sms_concat_test.c LIBS raia_smpp)
# The operator's MT alphabet (sms_charset) and Latin-1 MO.
raia_unit_test(smpp_text_test SOURCES smpp_text_test.c LIBS raia_smpp)
# Operator settings: the sms_charset key, network-side USSD ends per profile.
raia_unit_test(smpp_operator_test SOURCES smpp_operator_test.c LIBS raia_gateway)
raia_unit_test(smpp_fast_test SOURCES smpp_fast_test.c LIBS raia_smpp)
