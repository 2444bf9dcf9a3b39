"""Signals other domains listen to, sent inside the transaction of the enrollment action."""

from django.dispatch import Signal

# Sent when an application stops being active or loses its seat (expelled, cancelled, refused,
# expired), with `application` and its new `status`; receivers act in the same transaction.
application_left = Signal()
