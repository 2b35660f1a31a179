"""The commitment (DESIGN §4a): tightening is immediate, loosening waits for the delay."""
