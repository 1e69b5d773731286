"""The pure parts of the Meta integration: signatures, the messaging window, Lead Ads field
mapping, the send_messenger node's checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from leadflow.channels.meta_inbound import LeadgenChange, parse
from leadflow.channels.meta_signature import BadSignature, challenge, sign, verify
from leadflow.definitions.validation import validate
from leadflow.errors import InvalidInput
from leadflow.model.meta import window_refusal
from leadflow.webhooks.meta_leads import to_lead

BODY = b'{"object":"page","entry":[]}'


def test_the_signature_is_hmac_sha256_of_the_raw_body_with_the_app_secret() -> None:
    expected = "sha256=" + hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", BODY) == expected
    assert verify("s3cret", expected, BODY) == expected[7:]
    assert verify("s3cret", expected.upper().replace("SHA256=", "sha256="), BODY)
    for header in (None, "", expected[:-1], "sha1=" + "0" * 40, sign("other", BODY)):
        with pytest.raises(BadSignature):
            verify("s3cret", header, BODY)
    with pytest.raises(BadSignature):
        verify("s3cret", expected, BODY + b" ")  # one byte more
    with pytest.raises(BadSignature):
        verify(None, expected, BODY)


def test_the_subscription_challenge() -> None:
    assert challenge("tok", "subscribe", "tok", "42") == "42"
    assert challenge("tok", "subscribe", "nope", "42") is None
    assert challenge("tok", "other", "tok", "42") is None
    assert challenge(None, "subscribe", "", "42") is None


H = 3600.0


@pytest.mark.parametrize(
    ("age", "kind", "tag", "refusal"),
    [
        (0, "RESPONSE", None, None),
        (24 * H, "RESPONSE", None, None),
        (24 * H + 1, "RESPONSE", None, "messenger_window_closed"),
        (24 * H + 1, "UPDATE", None, "messenger_window_closed"),
        (24 * H + 1, "MESSAGE_TAG", "NOT_A_TAG", "messenger_window_closed"),
        (7 * 24 * H, "MESSAGE_TAG", "HUMAN_AGENT", None),
        (7 * 24 * H + 1, "MESSAGE_TAG", "HUMAN_AGENT", "messenger_human_agent_window_closed"),
        (90 * 24 * H, "MESSAGE_TAG", "ACCOUNT_UPDATE", None),
        (90 * 24 * H, "MESSAGE_TAG", "POST_PURCHASE_UPDATE", None),
    ],
)
def test_the_window(age: float, kind: str, tag: str | None, refusal: str | None) -> None:
    thread = {"psid": "p", "last_inbound_at": 1000.0}
    assert window_refusal(thread, kind, tag, 1000.0 + age) == refusal


def test_no_thread_allows_only_the_timeless_tags() -> None:
    assert window_refusal(None, "RESPONSE", None, 0) == "messenger_no_thread"
    assert window_refusal({}, "MESSAGE_TAG", "HUMAN_AGENT", 0) == "messenger_no_thread"
    assert window_refusal(None, "MESSAGE_TAG", "ACCOUNT_UPDATE", 0) is None


CHANGE = LeadgenChange("111", "9001", "555", "444", None)


def test_lead_fields_map_to_the_contact_and_reso_names_and_the_rest_is_kept() -> None:
    lead = to_lead(
        CHANGE,
        {
            "field_data": [
                {"name": "first_name", "values": ["Ann"]},
                {"name": "last_name", "values": ["Lee"]},
                {"name": "email", "values": ["ANN@X.IO"]},
                {"name": "phone_number", "values": ["+1 212 555 0123"]},
                {"name": "state", "values": ["TX"]},
                {"name": "post_code", "values": ["00501"]},
                {"name": "budget", "values": ["", "400k"]},
            ]
        },
    )
    assert (lead.first_name, lead.last_name, lead.email, lead.phone) == (
        "Ann",
        "Lee",
        "ann@x.io",
        "+12125550123",
    )
    assert lead.fields == {
        "StateOrProvince": "TX",
        "PostalCode": "00501",
        "facebook_lead": {"budget": "400k"},
    }
    assert lead.source == "facebook_lead_ads" and lead.ref == "9001"
    assert lead.data["leadgen_id"] == "9001" and lead.data["form_id"] == "555"


def test_a_malformed_lead_names_the_field() -> None:
    with pytest.raises(InvalidInput, match="field_data: must be a list"):
        to_lead(CHANGE, {})
    with pytest.raises(InvalidInput, match=r"field_data\[0\]\.values"):
        to_lead(CHANGE, {"field_data": [{"name": "email", "values": "a@b.c"}]})
    with pytest.raises(InvalidInput, match=r"field_data\.email"):
        to_lead(CHANGE, {"field_data": [{"name": "email", "values": ["not an address"]}]})


def test_the_webhook_parser_skips_echoes_and_other_fields() -> None:
    body = (
        b'{"object":"page","entry":[{"id":"111","messaging":['
        b'{"sender":{"id":"111"},"recipient":{"id":"9"},"message":{"mid":"m1","is_echo":true}},'
        b'{"sender":{"id":"9"},"recipient":{"id":"111"},"delivery":{"mids":["m0"]}},'
        b'{"sender":{"id":"9"},"recipient":{"id":"111"},"timestamp":5000,'
        b'"message":{"mid":"m2","text":"hi"}}],'
        b'"changes":[{"field":"feed","value":{}},'
        b'{"field":"leadgen","value":{"leadgen_id":"77","page_id":"111","form_id":"5"}}]}]}'
    )
    parsed = parse(body, now=10.0)
    assert [(m.psid, m.mid, m.text, m.at) for m in parsed.messages] == [("9", "m2", "hi", 5.0)]
    assert [(c.leadgen_id, c.form_id) for c in parsed.leads] == [("77", "5")]
    with pytest.raises(InvalidInput, match="object"):
        parse(b'{"object":"user","entry":[]}', 0)
    with pytest.raises(InvalidInput, match=r"changes\[0\]\.value\.page_id"):
        parse(
            b'{"object":"page","entry":[{"id":"111","changes":[{"field":"leadgen",'
            b'"value":{"leadgen_id":"1","page_id":"222"}}]}]}',
            0,
        )


def _flow(node: dict[str, object]) -> dict[str, object]:
    base = {"id": "m", "kind": "send_messenger", "body": "Hi"}
    return {"key": "k", "name": "K", "start": "m", "nodes": [base | node]}


def test_the_send_messenger_node_needs_a_tag_exactly_with_message_tag() -> None:
    assert validate(_flow({})).ok
    assert validate(_flow({"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"})).ok
    missing = validate(_flow({"messaging_type": "MESSAGE_TAG"}))
    assert not missing.ok and "needs a tag" in str(missing.errors)
    stray = validate(_flow({"tag": "HUMAN_AGENT"}))
    assert not stray.ok and "MESSAGE_TAG" in str(stray.errors)
    unknown = validate(_flow({"messaging_type": "MESSAGE_TAG", "tag": "CONFIRMED_EVENT"}))
    assert not unknown.ok
