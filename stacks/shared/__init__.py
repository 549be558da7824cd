"""shared stacks."""
