import Codecs

/// The readable transcript of a recording (`ringgate replay`): the header, then each record
/// with its time since the session started: startup, statements, decisions, results as
/// aligned tables, errors and notices, end.
///
/// Values are printed as the client received them (masked); control characters are escaped
/// so a recorded value cannot drive the terminal.
public struct RecordingTranscript {
    /// Rows printed per table block (widths are computed per block).
    public static let rowsPerBlock = 1000

    private var emit: (String) -> Void
    private var columns: [(name: String, binary: Bool)] = []
    private var rows: [[String]] = []
    private var rowsInResult = 0
    private var inResult = false
    private var skipped = 0
    private var ended = false

    /// Writes the transcript of `bytes`, line by line, to `emit`. Returns the error that stopped
    /// reading (after printing everything before it), nil when the whole file was read.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, to emit: @escaping (String) -> Void) -> RecordingReadError? {
        var reader: RecordingReader
        do {
            reader = try RecordingReader(bytes)
        } catch {
            return error
        }
        var transcript = RecordingTranscript(emit: emit)
        transcript.header(reader.header)
        do {
            while let record = try reader.next() {
                transcript.record(record, payload: reader.payload(of: record))
            }
        } catch {
            transcript.finish(complete: false)
            return error
        }
        transcript.finish(complete: true)
        return nil
    }

    private init(emit: @escaping (String) -> Void) {
        self.emit = emit
    }

    // MARK: Records

    private mutating func header(_ header: RecordingHeader) {
        emit("RingGate session recording (format \(RecordingFormat.version))")
        var fields: [(String, String)] = [
            ("session", String(header.sessionID)), ("identity", header.identity),
        ]
        if !header.groups.isEmpty { fields.append(("groups", header.groups.joined(separator: ", "))) }
        fields += [("resource", header.resource), ("database", header.database)]
        if let client = header.clientAddress { fields.append(("client", client)) }
        if let user = header.upstreamUser { fields.append(("upstream user", user)) }
        fields += [
            ("started", Self.utc(microseconds: header.startMicroseconds)), ("policy", header.policyVersion),
            ("gateway", header.gatewayVersion),
        ]
        for (name, value) in fields { emit("  \(name.padding(13)) \(Self.escaped(value))") }
        emit("")
    }

    private mutating func record(_ record: RecordingRecord, payload: UnsafeRawBufferPointer) {
        guard let kind = record.kind else {
            skipped += 1
            return
        }
        let time = Self.clock(record.time)
        switch kind {
        case .header:
            skipped += 1
        case .startup:
            let parts = payload.split(separator: 0, omittingEmptySubsequences: false).map { Self.text($0) }
            var pairs: [String] = []
            var index = 0
            while index + 1 < parts.count {
                pairs.append("\(parts[index])=\(parts[index + 1])")
                index += 2
            }
            line(time, "startup", pairs.joined(separator: " "))
        case .statement:
            endResult()
            statement(time, payload)
        case .decision:
            decision(time, payload)
        case .rowDescription:
            endResult()
            rowDescription(payload)
        case .dataRow:
            dataRow(payload)
        case .commandComplete:
            endResult()
            line(time, "complete", Self.text(Self.body(payload).prefix { $0 != 0 }))
        case .error, .notice:
            endResult()
            errorOrNotice(time, kind == .error ? "error" : "notice", payload)
        case .readyForQuery:
            endResult()
            let status = Self.body(payload).first.map { Self.transactionStatus($0) } ?? "?"
            line(time, "ready", status)
        case .end:
            endResult()
            line(time, "end", Self.text(payload))
            ended = true
        }
    }

    private mutating func finish(complete: Bool) {
        endResult()
        if skipped > 0 { emit("(\(skipped) records of kinds this build does not know were skipped)") }
        if complete && !ended { emit("(no end record: the session's recording stops here)") }
    }

    private func line(_ time: String, _ label: String, _ text: String) {
        emit(text.isEmpty ? "[\(time)] \(label)" : "[\(time)] \(label.padding(8)) \(text)")
    }

    private func statement(_ time: String, _ payload: UnsafeRawBufferPointer) {
        guard let type = payload.first else { return }
        let rest = payload.dropFirst()
        let nameEnd = rest.firstIndex(of: 0) ?? rest.endIndex
        let name = Self.text(rest[..<nameEnd])
        let sql = nameEnd < rest.endIndex ? Self.text(rest[(nameEnd + 1)...], keepNewlines: true) : ""
        let label: String
        switch type {
        case UInt8(ascii: "Q"): label = "query"
        case UInt8(ascii: "P"): label = name.isEmpty ? "parse" : "parse \(name)"
        case UInt8(ascii: "B"): label = name.isEmpty ? "bind" : "bind \(name)"
        case UInt8(ascii: "F"): label = "function call"
        default: label = "statement"
        }
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false)
        if sql.isEmpty || lines.count == 1 {
            line(time, label, sql)
        } else {
            line(time, label, "")
            for text in lines { emit("    \(text)") }
        }
    }

    private func decision(_ time: String, _ payload: UnsafeRawBufferPointer) {
        guard let decision = RecordedDecision(decoding: payload) else {
            line(time, "decision", "(unreadable)")
            return
        }
        var parts: [String] = []
        if decision.reason != .rule || decision.rule.isEmpty {
            parts.append(decision.reason.map(\.description) ?? "reason \(decision.reasonCode)")
        }
        if !decision.rule.isEmpty { parts.append("rule \(Self.escaped(decision.rule))") }
        if !decision.classes.isEmpty { parts.append("classes \(decision.classes.names.joined(separator: ","))") }
        if !decision.decidingClass.isEmpty && decision.decidingClass != decision.classes {
            parts.append("decided by \(decision.decidingClass.names.joined(separator: ","))")
        }
        parts.append("policy \(Self.escaped(decision.policyVersion))")
        line(time, "decision", "\(decision.action) (\(parts.joined(separator: "; ")))")
    }

    private func errorOrNotice(_ time: String, _ label: String, _ payload: UnsafeRawBufferPointer) {
        var fields: [UInt8: String] = [:]
        var rest = Self.body(payload)[...]
        while let code = rest.first, code != 0 {
            let end = rest.dropFirst().firstIndex(of: 0) ?? rest.endIndex
            fields[code] = Self.text(rest[rest.index(after: rest.startIndex)..<end])
            rest = end < rest.endIndex ? rest[(end + 1)...] : rest[rest.endIndex...]
        }
        let severity = fields[UInt8(ascii: "S")] ?? fields[UInt8(ascii: "V")] ?? "?"
        line(time, label, "\(severity) \(fields[UInt8(ascii: "C")] ?? "?"): \(fields[UInt8(ascii: "M")] ?? "")")
        if let detail = fields[UInt8(ascii: "D")] { emit("    detail: \(detail)") }
        if let hint = fields[UInt8(ascii: "H")] { emit("    hint: \(hint)") }
    }

    // MARK: Results

    private mutating func rowDescription(_ payload: UnsafeRawBufferPointer) {
        columns = []
        if let view = try? RowDescriptionView(body: UnsafeRawBufferPointer(rebasing: Self.body(payload))) {
            for column in view { columns.append((Self.text(column.name), column.format == 1)) }
        }
        inResult = true
    }

    private mutating func dataRow(_ payload: UnsafeRawBufferPointer) {
        inResult = true
        guard let view = try? DataRowView(body: UnsafeRawBufferPointer(rebasing: Self.body(payload))) else {
            rows.append(["(unreadable row)"])
            return
        }
        var cells: [String] = []
        for (index, cell) in view.enumerated() {
            guard let value = view.value(cell) else {
                cells.append("NULL")
                continue
            }
            let binary = index < columns.count ? columns[index].binary : false
            cells.append(binary ? "\\x" + value.map { Self.hex($0) }.joined() : Self.text(value[...]))
        }
        rows.append(cells)
        rowsInResult += 1
        if rows.count >= Self.rowsPerBlock { printRows() }
    }

    private mutating func endResult() {
        guard inResult else { return }
        printRows()
        emit("  (\(rowsInResult) row\(rowsInResult == 1 ? "" : "s"))")
        columns = []
        rowsInResult = 0
        inResult = false
    }

    /// Prints the rows so far as an aligned table, headed by the column names.
    private mutating func printRows() {
        let count = max(columns.count, rows.map(\.count).max() ?? 0)
        guard count > 0 else { return }
        let names = (0..<count).map { $0 < columns.count ? columns[$0].name : "column\($0 + 1)" }
        var widths = names.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < count { widths[index] = max(widths[index], cell.count) }
        }
        func format(_ cells: [String]) -> String {
            "  " + (0..<count).map { index in
                let cell = index < cells.count ? cells[index] : ""
                return index == count - 1 ? cell : cell.padding(widths[index])
            }.joined(separator: " | ")
        }
        emit(format(names))
        emit("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-"))
        for row in rows { emit(format(row)) }
        rows.removeAll(keepingCapacity: true)
    }

    // MARK: Text

    /// The body of a whole backend message (after its type byte and length).
    static func body(_ message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence {
        message.count >= 5 ? message[5...] : message[message.endIndex...]
    }

    static func text(_ bytes: some Collection<UInt8>, keepNewlines: Bool = false) -> String {
        escaped(String(decoding: bytes, as: UTF8.self), keepNewlines: keepNewlines)
    }

    /// Control characters (C0, DEL, C1) as `\n`, `\t`, `\r` or `\u{…}`.
    static func escaped(_ text: String, keepNewlines: Bool = false) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += keepNewlines ? "\n" : "\\n"
            case 0x09: out += "\\t"
            case 0x0D: out += "\\r"
            case 0..<0x20, 0x7F...0x9F: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    static func transactionStatus(_ status: UInt8) -> String {
        switch status {
        case UInt8(ascii: "I"): "idle"
        case UInt8(ascii: "T"): "in transaction"
        case UInt8(ascii: "E"): "in failed transaction"
        default: "status \(status)"
        }
    }

    /// `HH:MM:SS.mmm` of a microsecond offset.
    static func clock(_ micros: UInt64) -> String {
        let millis = micros / 1000
        let seconds = millis / 1000
        func two(_ value: UInt64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let fraction = String(millis % 1000)
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff UTC` of microseconds since 1970.
    static func utc(microseconds: Int64) -> String {
        let seconds = microseconds / 1_000_000
        let (year, month, day) = RecordingHeader.civilDate(daysSinceEpoch: seconds / 86_400)
        let second = Int(seconds % 86_400)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(second / 3600, 2)):\(pad(second / 60 % 60, 2)):"
            + "\(pad(second % 60, 2)).\(pad(Int(microseconds % 1_000_000), 6)) UTC"
    }
}

extension String {
    /// The string padded with spaces to `width` characters.
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
