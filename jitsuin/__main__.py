from jitsuin.cli.main import main

main()
