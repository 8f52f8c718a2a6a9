-- 008_receipts: the state each MT message reached at the operator, from
-- delivery receipts (docs/receipts.md). Nothing about the person: the
-- operator's message id, its state and when the receipt came. Operators
-- use it for delivery rates per operator and day.
CREATE TABLE message_receipts (
    receipt_id  bigserial PRIMARY KEY,
    stream_id   text NOT NULL UNIQUE,
    operator    text NOT NULL,
    message_id  text NOT NULL,
    state       text NOT NULL,
    final       boolean NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX message_receipts_message ON message_receipts (operator, message_id);
GRANT SELECT, INSERT ON message_receipts TO raia_gateway;
GRANT USAGE ON SEQUENCE message_receipts_receipt_id_seq TO raia_gateway;
