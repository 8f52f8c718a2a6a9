# libFuzzer target for the SMPP PDU codec (header parse + every decoder).
raia_fuzz_target(fuzz_smpp_pdu SOURCES fuzz_smpp_pdu.c LIBS raia_smpp)
