"""The only code that changes state (HackSoft's services; Zulip's actions): one function per action, each in one
transaction that also writes its event."""
