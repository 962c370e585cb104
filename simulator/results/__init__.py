"""Results: path metrics (drawdown, recovery, monthly returns) and paired statistics."""
