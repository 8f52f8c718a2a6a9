#!/usr/bin/perl
# perl_smsc.pl PORT - an SMSC that raia did not write: Debian's Net::SMPP
# (libnet-smpp-perl) on 127.0.0.1:PORT. It accepts one bind_transceiver,
# then plays a community report over USSD (ussd_service_op / its_session_info
# TLVs) and one over SMS (with a delivery receipt for every MT that asks for
# one), and prints what it received, one line per message:
#   USSD <op> <its_session_info> <text>    SMS <text>    DONE
# Exits 0 when both sessions reached their end screens, 1 on a timeout.
use strict;
use warnings;
use Net::SMPP;

my $port = shift or die "usage: perl_smsc.pl PORT\n";
$| = 1;
alarm 60;
$SIG{ALRM} = sub { print "TIMEOUT\n"; exit 1 };

my $listener = Net::SMPP->new_listen('127.0.0.1', port => $port)
  or die "listen: $!\n";
print "LISTENING\n";
my $smpp = $listener->accept or die "accept: $!\n";

my $bind = $smpp->read_pdu or die "no bind\n";
die "expected bind_transceiver\n" unless $bind->{cmd} == Net::SMPP::CMD_bind_transceiver;
$smpp->bind_transceiver_resp(seq => $bind->{seq}, system_id => 'perlsmsc');

# Inputs after each continuing screen; the first MO opens the session.
my @ussd_inputs = ('1', '2', '5', 'Clinic closed on Fridays', '4');
my @sms_inputs = ('1', '3', '2', 'Roof leaking', '1', '2', '2');
my $session = 0x0500; # session 5 in the high octet, as an MSC numbers them
my ($ussd_done, $sms_done, $receipts, $msg_id) = (0, 0, 0, 0);

sub mo_ussd {
    my ($op, $text) = @_;
    $smpp->deliver_sm(
        service_type => 'USSD', source_addr_ton => 1, source_addr_npi => 1,
        source_addr => '256700000077', destination_addr => '*384*12#',
        short_message => $text, data_coding => 0, async => 1,
        ussd_service_op => pack('C', $op), its_session_info => pack('n', $session));
}

sub mo_sms {
    my ($text) = @_;
    $smpp->deliver_sm(
        source_addr_ton => 1, source_addr_npi => 1, source_addr => '256700000078',
        destination_addr => '15012', short_message => $text, data_coding => 0, async => 1);
}

sub receipt_for {
    my ($id) = @_;
    my $stamp = '2611251200';
    $smpp->deliver_sm(
        source_addr => '256700000078', destination_addr => '15012', esm_class => 0x04,
        short_message => "id:$id sub:001 dlvrd:001 submit date:$stamp done date:$stamp "
          . "stat:DELIVRD err:000 text:",
        async => 1, receipted_message_id => "$id\0", message_state => pack('C', 2));
    $receipts++;
}

mo_ussd(1, '*384*12#');
mo_sms('REPORT');
while (!($ussd_done && $sms_done && $receipts > 0)) {
    my $pdu = $smpp->read_pdu or die "read: connection closed\n";
    my $cmd = $pdu->{cmd};
    if ($cmd == Net::SMPP::CMD_enquire_link) {
        $smpp->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == Net::SMPP::CMD_deliver_sm_resp) {
        die "deliver_sm refused: status $pdu->{status}\n" if $pdu->{status};
    } elsif ($cmd == Net::SMPP::CMD_submit_sm) {
        my $id = sprintf('%d', ++$msg_id);
        $smpp->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
        my $text = $pdu->{short_message};
        $text =~ s/\n/ | /g;
        if (defined $pdu->{ussd_service_op}) {
            my $op = unpack('C', $pdu->{ussd_service_op});
            my $its = defined $pdu->{its_session_info} ? unpack('n', $pdu->{its_session_info}) : -1;
            printf "USSD %d %d %s\n", $op, $its, $text;
            if ($op == 17) { $ussd_done = 1 } else { mo_ussd(18, shift @ussd_inputs // '') }
        } else {
            print "SMS $text\n";
            receipt_for($id) if $pdu->{registered_delivery};
            if (@sms_inputs) { mo_sms(shift @sms_inputs) } else { $sms_done = 1 }
        }
    } elsif ($cmd == Net::SMPP::CMD_unbind) {
        $smpp->unbind_resp(seq => $pdu->{seq});
        last;
    }
}
print "DONE\n";
# Stay bound until the gateway unbinds (SIGTERM at the end of the test).
while (my $pdu = $smpp->read_pdu) {
    if ($pdu->{cmd} == Net::SMPP::CMD_unbind) {
        $smpp->unbind_resp(seq => $pdu->{seq});
        print "UNBOUND\n";
        last;
    }
    $smpp->enquire_link_resp(seq => $pdu->{seq}) if $pdu->{cmd} == Net::SMPP::CMD_enquire_link;
}
exit 0;
