/// The detectors plug into result masking as the `.scan` action's cell scanner.
extension SensitiveDataScanner: CellScanner {}
