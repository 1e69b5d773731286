"""Experiments: split nodes judged on a goal, with sticky arms, reviews and decisions."""
