# libFuzzer target for the SMPP PDU codec (header parse + every decoder).
raia_fuzz_target(fuzz_smpp_pdu SOURCES fuzz_smpp_pdu.c LIBS raia_smpp)
# libFuzzer target for long SMS: UDH parsing, MO reassembly, MT split round trip.
raia_fuzz_target(fuzz_sms_concat SOURCES fuzz_sms_concat.c LIBS raia_smpp)
# Differential target: the hot-path codec (smpp_fast.c) against smpp_pdu.c / libsmpp34.
raia_fuzz_target(fuzz_smpp_diff SOURCES fuzz_smpp_diff.c LIBS raia_smpp)
