"""Fixed texts of the conversation (greeting, help, not understood)."""
from __future__ import annotations

GREETING = ("Namaste! 🙏 I'm Munshi, your back-office helper. Tell me what happened in the shop "
            "and I'll keep the books. Try: \"bill Mahesh 8 bags cement at 345\" or send *help*.")

HELP = """Here is what I can do — just type or send a voice note 🎤:

🧾 *Invoices*: "bill Mahesh 8 bags cement at 345", "change it to 5 bags", "send it to Mahesh"
💰 *Payments*: "Rekha paid 3000 on UPI", "who hasn't paid me?", "remind everyone who owes me"
📦 *Stock*: "add 25 bags cement", "how many fans are left?", "tell me when rice drops below 20 kg"
👥 *Customers*: "new customer Rekha Nair 9900112233", "list my customers"
⚙️ *Automations*: "when someone pays me, WhatsApp them a thank-you and add a row to my sheet"
↩️ "undo" reverses your last change."""

NOT_UNDERSTOOD = "Sorry, I didn't understand \"{text}\"."
EXAMPLES_LEAD = "You could say, for example:"
ERROR = ("Sorry, something went wrong on my side while handling \"{text}\". Nothing was changed; "
         "please try again in a minute.")
NOT_ALLOWED = "Sorry, this Munshi number serves one shop only, so I can't help from this number."
