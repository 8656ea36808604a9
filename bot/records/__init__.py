"""Changes to a pupil's SEN record that more than one flow makes: a register change (the register card,
an accepted concern) and the current plan card (plans, reviews). Flows never import each other; they share
these."""
