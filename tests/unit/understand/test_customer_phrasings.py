"""Customer phrasings the probe found unread: a phone beside a GSTIN, names with initials and short forms,
the customer list, "his/her/uska number …" after adding someone, and Hinglish word order."""

from __future__ import annotations

import pytest

from intents.understand import Context, understand
from intents.understand.parties import name_backward, name_forward, title_name
from intents.understand.prepare import prepare

KNOWN = Context(customers=["Anil Verma", "Mohd. Irfan", "R.K. Enterprises"])


# ---------------------------------------------------------------- 1. phone and GSTIN in one message


@pytest.mark.parametrize(
    "text, name, phone",
    [
        ("new customer Kamala Stores, phone +91 99001 23456, GSTIN 29ABCDE1234F1ZW", "Kamala Stores", "+919900123456"),
        ("new customer Balaji Stores 9900123456 GSTIN 29ABCDE1234F1ZW", "Balaji Stores", "+919900123456"),
        ("add customer Meena Traders GSTIN 29ABCDE1234F1ZW mobile 98450 12345", "Meena Traders", "+919845012345"),
        ("naya customer Gupta Hardware 9988776655 gst no 29ABCDE1234F1ZW", "Gupta Hardware", "+919988776655"),
    ],
)
def test_add_customer_keeps_phone_and_gstin(text: str, name: str, phone: str) -> None:
    u = understand(text)
    assert (u.intent, u.customer, u.phone, u.gstin) == ("add_customer", name, phone, "29ABCDE1234F1ZW")


@pytest.mark.parametrize(
    "text, customer",
    [
        ("Mahesh's GSTIN is 29ABCDE1234F1ZW", "Mahesh"),
        ("GSTIN of Anil Verma 29ABCDE1234F1ZW", "Anil Verma"),
    ],
)
def test_a_gstin_alone_is_still_a_gst_update(text: str, customer: str) -> None:
    u = understand(text, KNOWN)
    assert (u.intent, u.customer, u.gstin) == ("set_customer_gst", customer, "29ABCDE1234F1ZW")


def test_my_own_gstin_is_still_the_profile() -> None:
    assert understand("my GSTIN is 29ABCDE1234F1ZW").intent == "set_profile"


# ---------------------------------------------------------------- 2. initials, short forms, Sri / Dr


@pytest.mark.parametrize(
    "text, name",
    [
        ("New customer - Mohd. Irfan, ph: 07012345678", "Mohd. Irfan"),
        ("add customer Mohd. Irfan 9812345678", "Mohd. Irfan"),
        ("add customer R.K. Enterprises 9812345678", "R.K. Enterprises"),
        ("add customer A. Kumar 9812345678", "A. Kumar"),
        ("new customer S. K. Bros. 9812345678", "S. K. Bros"),
        ("add customer Ganesh Co. Pvt. Ltd 9812345678", "Ganesh Co. Pvt. Ltd"),
        ("add customer Sri Ram Traders 9812345678", "Sri Ram Traders"),
        ("new customer Shri Balaji Stores 9812345678", "Shri Balaji Stores"),
        ("save contact: Dr. Mehta 9812345678", "Mehta"),
        ("new contact Dr Mehta 9812345678", "Mehta"),
        # the honorific policy for people stays: titles before a person's name are dropped
        ("add customer Mr. Sharma 9812345678", "Sharma"),
        ("add customer Shri Ramesh Gupta 9812345678", "Ramesh Gupta"),
        ("add customer smt. sunita devi 9812345678", "Sunita Devi"),
    ],
)
def test_names_with_periods_and_prefixes(text: str, name: str) -> None:
    u = understand(text)
    assert (u.intent, u.customer, u.name) == ("add_customer", name, name)
    assert u.phone == "+919812345678" or u.phone == "+917012345678"


@pytest.mark.parametrize(
    "text, name",
    [
        ("Mohd. Irfan ne 500 diye", "Mohd. Irfan"),
        ("bill Mohd. Irfan 2 bags cement at 300", "Mohd. Irfan"),
        ("A.B.C. Traders ko bill 2 bags cement at 300", "A.B.C. Traders"),
    ],
)
def test_periods_inside_names_elsewhere(text: str, name: str) -> None:
    assert understand(text).customer == name


@pytest.mark.parametrize(
    "text, name",
    [
        # a sentence-ending period still ends the name
        ("bill Ramesh K. 5 bags cement at 300", "Ramesh K"),
        ("Paid 500. Mahesh", "Mahesh"),
        ("New customer Anil Verma. His number is 9123456780", "Anil Verma"),
        ("new customer Rekha. 9900112233", "Rekha"),
    ],
)
def test_a_period_at_a_sentence_end_still_ends_the_name(text: str, name: str) -> None:
    assert understand(text).customer == name


def test_known_customer_written_without_periods() -> None:
    assert understand("Mohd Irfan ne 500 diye", KNOWN).customer in ("Mohd Irfan", "Mohd. Irfan")
    assert understand("RK Enterprises ko bill 2 bags cement at 300", KNOWN).customer == "RK Enterprises"


def test_span_helpers_keep_the_period_on_its_word() -> None:
    p = prepare("add customer R.K. Enterprises now")
    span = name_forward(p, 2)
    assert span is not None and span.name == "R.K. Enterprises"
    p = prepare("Mohd. Irfan ne diye")
    ne = next(k for k, t in enumerate(p.tokens) if t.low == "ne")
    back = name_backward(p, ne)
    assert back is not None and back.name == "Mohd. Irfan"
    assert title_name("R.K. ENTERPRISES") == "R.K. Enterprises"


# ---------------------------------------------------------------- 3. the customer list


@pytest.mark.parametrize(
    "text",
    [
        "list my customers",
        "show all customers",
        "show customers",
        "customer list",
        "all customers",
        "mere customers dikhao",
        "Show me all my customers please",
        "list of customers",
        "who are my customers?",
        "sab grahak dikhao",
        "customers list bhejo",
        "show my clients",
        "how many customers do I have",
    ],
)
def test_customer_list(text: str) -> None:
    assert understand(text).intent == "list_customers"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("customers who owe me", "unpaid_query"),
        ("show customer Mahesh", "unknown"),
        ("delete customer Ramesh", "unknown"),
        ("list my stock", "stock_list"),
        ("show all invoices", "list_invoices"),
        ("remind all customers", "remind"),
        ("customer", "unknown"),
        ("party", "unknown"),
    ],
)
def test_not_the_customer_list(text: str, intent: str) -> None:
    assert understand(text).intent == intent


# ---------------------------------------------------------------- 4. his / her / uska number


@pytest.mark.parametrize(
    "text, phone",
    [
        ("his number is 9123456780", "+919123456780"),
        ("her phone is 9123456780", "+919123456780"),
        ("their mobile number is 91234 56780", "+919123456780"),
        ("uska number 9123456780 hai", "+919123456780"),
        ("iska phone 9123456780", "+919123456780"),
        ("change her number to 9123456780", "+919123456780"),
        ("and his new number is 9123456780", "+919123456780"),
    ],
)
def test_pronoun_number_updates_the_last_customer(text: str, phone: str) -> None:
    u = understand(text, KNOWN)
    assert (u.intent, u.customer, u.phone) == ("update_customer", None, phone)


def test_pronoun_email() -> None:
    u = understand("her email is sunita@example.com")
    assert (u.intent, u.customer, u.email) == ("update_customer", None, "sunita@example.com")


@pytest.mark.parametrize(
    "text, customer",
    [
        ("Anil's number is 9123456780", "Anil"),
        ("phone number of Rekha is 9812345678", "Rekha"),
        ("save contact number of Rekha 9812345678", "Rekha"),
    ],
)
def test_named_updates_still_name_the_customer(text: str, customer: str) -> None:
    u = understand(text)
    assert (u.intent, u.customer) == ("update_customer", customer)


# ---------------------------------------------------------------- 5. Hinglish word order


@pytest.mark.parametrize(
    "text, name",
    [
        ("customer add karo Ramesh Yadav 9988776655", "Ramesh Yadav"),
        ("naya customer add karo Ramesh Yadav 9988776655", "Ramesh Yadav"),
        ("Ramesh Yadav ko customer add karo 9988776655", "Ramesh Yadav"),
        ("grahak jodo Sunil 9988776655", "Sunil"),
        ("customer bana do Pooja Sharma 9988776655", "Pooja Sharma"),
    ],
)
def test_hinglish_add_customer(text: str, name: str) -> None:
    u = understand(text)
    assert (u.intent, u.customer, u.phone) == ("add_customer", name, "+919988776655")
