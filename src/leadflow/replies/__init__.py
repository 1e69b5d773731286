"""Reply intent: what an inbound text or e-mail reply means (interested, question, not_now,
wrong_number, opt_out, appointment_request, needs_agent), with a confidence."""
