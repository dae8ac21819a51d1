"""Word lists shared by the detectors: short replies, fillers, typos, Hinglish.

Kept in one place so a new spelling is added once and every rule sees it.
"""

from __future__ import annotations

import re


def words(s: str) -> frozenset[str]:
    """A frozenset from a whitespace-separated string."""
    return frozenset(s.split())


def phrase_rx(phrases: str, sep: str = "|") -> str:
    """Regex alternation of `sep`-separated phrases, longest first, spaces flexible."""
    items = sorted((p.strip() for p in phrases.split(sep) if p.strip()), key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in items)


YES_PHRASES = (
    "yes|y|yeah|yea|yep|yup|ya|yaa|yas|yes please|yes pls|ok|okay|okk|okkk|k|kk|okie|oki|okey|o k|ok done|"
    "confirm|confirmed|i confirm|sure|sure thing|go ahead|go on|do it|proceed|done|haan|han|ha|haa|haanji|"
    "haan ji|ha ji|han ji|ji|ji haan|jee|theek hai|thik hai|theek h|thik h|sahi hai|sahi|chalega|correct|"
    "right|absolutely|of course|ofcourse|yes do it|activate|activate it|please do|approve|"
    "approved|agreed|agree|fine|alright|all right|yes go ahead|ok go ahead|ok send|yes send|go|perfect|"
    "great|cool|yes activate|turn it on|bilkul|kar do|haan kar do|ok kar do|yes confirm|ok confirm|ok yes|"
    "yes ok|ha kar do|save|save it|looks good|lgtm|that's right|thats right|right yes|yess|yesss|ys|"
    "👍|✅|👌|🆗"
)
NO_PHRASES = (
    "no|n|nope|nah|naa|nahi|nahin|nai|na|mat|mat karo|rehne do|rahne do|cancel|stop|"
    "don't|dont|do not|don't do it|dont do it|never|no thanks|no thank you|not now|later|abort|nevermind|"
    "never mind|leave it|skip|chhodo|chodo|no no|no don't|no dont|nahi chahiye|mat bhejo|don't send|"
    "dont send|do not send|wrong|not needed|no need|no cancel|cancel please|no stop|👎|❌|🚫"
)
GREET_PHRASES = (
    "hi|hii|hiii|hiiii|hello|helo|hello there|hey|heya|hey there|hi there|namaste|namaskar|namasthe|"
    "good morning|good afternoon|good evening|good night|gm|ram ram|jai shree krishna|jai shri krishna|"
    "jai shri ram|jai shree ram|salaam|salam|assalamualaikum|sat sri akal|hola|yo|morning|hi munshi|"
    "hello munshi|hey munshi|namaste munshi|thanks|thank you|thankyou|thx|thnx|thank u|ty|dhanyavad|"
    "dhanyawad|shukriya|🙏|👋|hi sir|hello sir|kaise ho|how are you|sup|wassup"
)
HELP_PHRASES = (
    "help|help me|helpp|what can you do|what can u do|what do you do|how does this work|how does it work|"
    "how to use|how do i use this|how do i use you|commands|menu|options|guide|madad|madad karo|"
    "kya kar sakte ho|what are the commands|features|instructions|start|/start|/help|tutorial|examples|"
    "show examples|what can i do|what can i say|what should i type|what all can you do|how can you help|"
    "?|??|i need help|need help|who are you|what are you|what is this|info"
)
UNDO_PHRASES = (
    "undo|undo that|undo it|undo the last one|undo last|undo the last|undo last one|undo last entry|"
    "undo the last change|undo my last change|revert|revert that|revert it|reverse that|reverse it|"
    "take that back|take it back|wapas lo|wapas karo|galti se hua|galti ho gayi|galti hogayi|galti|"
    "delete the last entry|remove the last entry|undo please|please undo|undo kar do|undo karo|ctrl z|ctrl+z|"
    "that was a mistake|that was wrong|mistake|my mistake|oops|oops undo|oops undo that|"
    "oops undo the last one|sorry undo|undo the last entry|undo that payment|undo the payment|"
    "undo last payment|undo the last payment|undo the last invoice|undo last invoice|undo the stock change|"
    "delete that payment|remove that payment|cancel that payment|cancel the payment|cancel the last payment|"
    "delete the last payment"
)

#: spoken fillers dropped everywhere
FILLERS = words("um umm ummm uh uhh uhm hmm hmmm er erm please pls plz plss kindly")

#: token -> corrected token (lowercase)
TYPOS: dict[str, str] = {
    "invoce": "invoice",
    "invioce": "invoice",
    "inovice": "invoice",
    "invoic": "invoice",
    "invocie": "invoice",
    "invoise": "invoice",
    "invoive": "invoice",
    "invice": "invoice",
    "envoice": "invoice",
    "invc": "invoice",
    "inv": "invoice",
    "invoce's": "invoice",
    "invoic3": "invoice",
    "invoicce": "invoice",
    "bil": "bill",
    "bll": "bill",
    "billl": "bill",
    "recieved": "received",
    "recived": "received",
    "receved": "received",
    "rcvd": "received",
    "frm": "from",
    "recd": "received",
    "rcv": "received",
    "revd": "received",
    "recvd": "received",
    "receieved": "received",
    "recieve": "receive",
    "payed": "paid",
    "piad": "paid",
    "paidd": "paid",
    "pyd": "paid",
    "pymt": "payment",
    "pmt": "payment",
    "pymnt": "payment",
    "paymnt": "payment",
    "paymt": "payment",
    "payement": "payment",
    "paymet": "payment",
    "payemnt": "payment",
    "pymts": "payments",
    "amt": "amount",
    "qty": "quantity",
    "stok": "stock",
    "stck": "stock",
    "stoke": "stock",
    "stocks": "stock",
    "inventry": "inventory",
    "invetory": "inventory",
    "inventary": "inventory",
    "invntry": "inventory",
    "custmer": "customer",
    "cust": "customer",
    "costumer": "customer",
    "customr": "customer",
    "coustomer": "customer",
    "cutomer": "customer",
    "cusomer": "customer",
    "remaind": "remind",
    "remnd": "remind",
    "rmnd": "remind",
    "remid": "remind",
    "cancle": "cancel",
    "cansel": "cancel",
    "cncl": "cancel",
    "u": "you",
    "ur": "your",
    "wat": "what",
    "wht": "what",
    "hw": "how",
    "hv": "have",
    "tdy": "today",
    "2day": "today",
    "todays": "today's",
    "tday": "today",
    "wk": "week",
    "mnth": "month",
    "addd": "add",
    "phn": "phone",
    "ph": "phone",
    "mob": "mobile",
    "num": "number",
    "nmbr": "number",
    "nbr": "number",
    "emial": "email",
    "emai": "email",
    "e-mail": "email",
    "mail-id": "email",
    "addr": "address",
    "adress": "address",
    "addres": "address",
    "adres": "address",
    "thru": "through",
    "tho": "though",
    "prise": "price",
    "pric": "price",
    "quanity": "quantity",
    "quantiy": "quantity",
    "qnty": "quantity",
    "soled": "sold",
    "sould": "sold",
    "sells": "sales",
    "sale's": "sales",
    "outstandng": "outstanding",
    "pendng": "pending",
    "pening": "pending",
    "bnao": "banao",
    "bnado": "bana do",
    "banado": "bana do",
    "kardo": "kar do",
    "krdo": "kar do",
    "kr": "kar",
    "karo": "karo",
    "diyee": "diye",
    "diye.": "diye",
    "bheja": "bheje",
    "automaton": "automation",
    "automations": "automations",
    "gstn": "gstin",
    "gstno": "gstin",
    "thnks": "thanks",
    "tnx": "thanks",
    "whatsap": "whatsapp",
    "watsapp": "whatsapp",
    "whatapp": "whatsapp",
    "whtsapp": "whatsapp",
    "wa": "whatsapp",
    "msg": "message",
    "mesage": "message",
    "messge": "message",
    "shud": "should",
    "shld": "should",
    "abt": "about",
    "becoz": "because",
    "coz": "because",
    "b4": "before",
    "nxt": "next",
    "lst": "last",
    "prev": "previous",
    "qnt": "quantity",
    "hsn-code": "hsn",
    "gpay'd": "gpay",
}
#: long keywords that a one-letter slip should still reach (fuzzy-corrected)
FUZZY_KEYWORDS: tuple[str, ...] = (
    "invoice",
    "payment",
    "payments",
    "received",
    "customer",
    "inventory",
    "reminder",
    "remind",
    "cancel",
    "automation",
    "automations",
    "pending",
    "outstanding",
    "collection",
    "collected",
    "threshold",
    "quantity",
    "dashboard",
    "whenever",
    "remove",
    "receipt",
    "address",
    "delete",
    "update",
    "change",
    "whatsapp",
    "yesterday",
    "balance",
    "running",
    "remaining",
    "available",
)
#: "it's" style contractions: expanded so "'s" always marks a possessive
CONTRACTIONS: dict[str, str] = {
    "it's": "it is",
    "what's": "what is",
    "that's": "that is",
    "here's": "here is",
    "there's": "there is",
    "let's": "let us",
    "who's": "who is",
    "he's": "he is",
    "she's": "she is",
    "where's": "where is",
    "how's": "how is",
    "its": "its",
    "whats": "what is",
    "thats": "that is",
    "hasn't": "has not",
    "haven't": "have not",
    "hasnt": "has not",
    "havent": "have not",
    "didn't": "did not",
    "didnt": "did not",
    "don't": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "won't": "will not",
    "can't": "cannot",
    "i'm": "i am",
    "im": "i am",
    "we're": "we are",
    "i've": "i have",
    "we've": "we have",
    "i'd": "i would",
    "i'll": "i will",
    "they're": "they are",
    "you're": "you are",
    "hadn't": "had not",
    "weren't": "were not",
}
