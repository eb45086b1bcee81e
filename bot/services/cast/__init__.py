"""A server's cast: named recurring characters made from reference photos, called by name in any prompt.

- :mod:`~bot.services.cast.roster` — :class:`Roster`: add (photos and voice checked, stored by content hash,
  then one row), list, show, delete (the member who added it, or Manage Server), and resolving a request's
  ``cast:`` option and ``@Name`` mentions into the members a job records;
- :mod:`~bot.services.cast.files` — a member's photo and voice files: checked, normalised and stored under
  their content hash (so jobs that used a member keep its files after it is deleted).
"""
