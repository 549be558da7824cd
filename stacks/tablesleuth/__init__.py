"""tablesleuth stacks."""
