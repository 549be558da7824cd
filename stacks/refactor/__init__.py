"""refactor stacks."""
