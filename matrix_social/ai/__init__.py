"""AI puppets: who answers, with what context, how often."""
