import StructuredMLCLI

StructuredMLTool.main()
