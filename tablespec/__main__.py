from tablespec.cli import console

console()
