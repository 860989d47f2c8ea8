"""Commerce events: recorded once in an outbox, relayed to every vendor the shop uses."""
