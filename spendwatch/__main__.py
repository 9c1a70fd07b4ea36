from spendwatch.cli import main

main()
