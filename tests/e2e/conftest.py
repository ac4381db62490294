"""The fixture plugin distributions are installed by ``installed_env``, never imported here."""

collect_ignore = ["fixtures"]
