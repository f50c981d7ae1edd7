"""connector.outbox.mail under the name it had before the outbox was one package."""

import sys

from connector.outbox import mail

sys.modules[__name__] = mail
