"""drawwatch: alerts for Canada's Express Entry rounds of invitations."""

__version__ = "0.1.0"
