import Codecs
import Foundation
import IOCore

/// How the rows of the current `COPY ... TO STDOUT` are masked.
enum CopyMasking {
    /// Nothing to mask (or no COPY in progress).
    case none
    /// Detectors only: each row is scanned whole, whatever its dialect (a finding never
    /// spans a delimiter, quote or escape, and masking keeps them).
    case scanRows
    /// Column masks: field by field in the statement's dialect (``CopyTextMasker``).
    case columns(CopyTextFormat)
}

/// Chooses each result column's action: the catalog's verdict for its origin, the patterns
/// for its label when the catalog did not see it, and the detectors for the rest.
struct SessionColumnPlanner: ColumnMaskPlanner {
    let masks: SessionMasks
    let catalog: MaskCatalog
    /// The catalog predates the patterns: labels decide as well.
    let stale: Bool

    mutating func action(for column: ColumnDescriptionView, at index: Int) -> CellMaskAction {
        var action = catalog.action(relation: column.tableOID, attribute: column.attributeNumber)
        if action == nil || stale, let byLabel = masks.labelAction(column.name) {
            action = SessionMasks.stricter(action, byLabel)
        }
        if let action, action.masks { return action }
        return masks.detectorAction(typeOID: column.typeOID)
    }
}

extension PostgresSession {
    // MARK: Masks and limits from policy

    /// Takes the masks and limits of the policy in force, when it changed since last time.
    mutating func refreshMasks() {
        guard let policy, policy.generation != masksGeneration else { return }
        masksGeneration = policy.generation
        let limits = policy.attributes.limits
        maxRows = limits.maxRows ?? .max
        maxBytes = limits.maxBytes ?? .max
        let rules = policy.attributes.masks.map(\.mask)
        guard rules != (masks?.source ?? []) else { return }
        let compiled = SessionMasks(rules)
        masks = compiled.isEmpty ? nil : compiled
        recorder.statementScanner = masks?.scanner
        if masks != nil && columns.capacity == 1 { columns = PostgresColumnTable() }
        catalogStale = !(masks?.columnPatterns.isEmpty ?? true)
        catalogRetryBlocked = false
        if masks == nil { columns.removeAll() }
        updateInspection()
    }

    /// Sends the catalog read when the patterns changed and the session is idle: nothing
    /// outstanding, outside a transaction (a failed read then disturbs nothing).
    mutating func readCatalogIfNeeded(io: inout SessionIO<GatewaySessionEvent>) {
        guard catalogStale, !catalogRetryBlocked, catalogReader == nil, let masks, responses.isEmpty, readySeen == markersSent,
              transactionStatus == UInt8(ascii: "I"), !skippingToSync
        else { return }
        var query = MaskCatalog.query(for: masks)
        let sent = query.withUTF8 { text -> Bool in
            let message = UnsafeMutableRawBufferPointer.allocate(byteCount: text.count + 6, alignment: 1)
            defer { message.deallocate() }
            var writer = WireWriter(message)
            PostgresFrontendEncoder.query(&writer, sql: UnsafeRawBufferPointer(text))
            return io.write(UnsafeRawBufferPointer(rebasing: message[0..<writer.count]), to: .upstream)
        }
        guard sent, responses.push(.gatewayQuery) else { return }
        markersSent &+= 1
        catalogReader = MaskCatalog.Reader()
        catalogStale = false
        updateInspection()
    }

    /// One message of the gateway's catalog read.
    mutating func catalogMessage(_ type: UInt8, body: UnsafeRawBufferPointer) {
        switch type {
        case PostgresMessageType.Backend.dataRow:
            if let masks { catalogReader?.add(row: body, masks: masks) }
        case PostgresMessageType.Backend.errorResponse:
            catalogReader?.failed = true
        case PostgresMessageType.Backend.readyForQuery:
            readyForQuery(status: body.isEmpty ? UInt8(ascii: "I") : body[0])
            if let catalog = catalogReader?.finish() {
                maskCatalog = catalog
            } else {
                // Labels keep deciding; the next reload tries again.
                catalogStale = true
                catalogRetryBlocked = true
            }
            catalogReader = nil
            updateInspection()
        default:
            break
        }
    }

    /// Which upstream messages must arrive whole: the ones the session reads, and rows while
    /// they are masked (else they stream through in parts, whatever their size).
    mutating func updateInspection() {
        var types = PostgresMessageTypeSet(
            PostgresMessageType.Backend.readyForQuery, PostgresMessageType.Backend.parameterStatus,
            PostgresMessageType.Backend.errorResponse)
        if masks != nil || catalogReader != nil {
            types.insert(PostgresMessageType.Backend.rowDescription)
            types.insert(PostgresMessageType.Backend.noticeResponse)
            types.insert(PostgresMessageType.Backend.copyOutResponse)
            if columns.masksAnything || catalogReader != nil { types.insert(PostgresMessageType.Backend.dataRow) }
            if case .none = copyMasking {} else { types.insert(PostgresMessageType.Backend.copyData) }
        }
        upstreamDecoder.inspectedTypes = types
    }

    // MARK: Result messages

    /// Loads the columns of a RowDescription (masks on) and starts a new result.
    mutating func rowDescription(_ body: UnsafeRawBufferPointer) -> Bool {
        resultRows = 0
        resultBytes = 0
        guard let masks else { return true }
        var planner = SessionColumnPlanner(masks: masks, catalog: maskCatalog, stale: catalogStale)
        guard let view = try? RowDescriptionView(body: body), (try? columns.load(view, planner: &planner)) != nil else {
            columns.removeAll()
            updateInspection()
            return false
        }
        updateInspection()
        return true
    }

    /// Masks one DataRow in place; returns the bytes to send, or nil when it cannot be masked.
    mutating func maskRow(_ message: UnsafeMutableRawBufferPointer) -> Int? {
        guard columns.masksAnything else { return message.count }
        resource.counters?.rowMasked()
        if let scanner = masks?.scanner {
            return try? DataRowMasker.mask(message: message, columns: columns, scanner: scanner)
        }
        return try? DataRowMasker.mask(message: message, columns: columns, scanner: NoCellScanner())
    }

    /// Decides how a COPY's rows are masked when its CopyOutResponse arrives; false when they
    /// cannot be (binary, or columns the gateway cannot name).
    mutating func copyOutStarts(_ body: UnsafeRawBufferPointer) -> Bool {
        copyMasking = .none
        defer { updateInspection() }
        guard let masks else { return true }
        let statement = takePendingCopy()
        guard body.count >= 3, body[0] == 0 else { return false }
        guard !masks.columnPatterns.isEmpty else {
            if masks.scanner != nil { copyMasking = .scanRows }
            return true
        }
        guard let statement, let format = statement.textFormat,
              case .relation(let schema, let name, let named) = statement.source else { return false }
        let count = Int(Int16(bitPattern: UInt16(body[1]) << 8 | UInt16(body[2])))
        // The columns in order: as listed, or the relation's own (every relation of that
        // name, since the search path is the server's: the strictest action wins).
        var actions = [CellMaskAction](repeating: .keep, count: count)
        if named.isEmpty {
            for relation in maskCatalog.relations(named: name, schema: schema) where relation.actions.count == count {
                for (index, action) in relation.actions.enumerated() { actions[index] = SessionMasks.stricter(actions[index], action) }
            }
        } else {
            guard named.count == count else { return false }
            for (index, column) in named.enumerated() {
                let action = masks.columnAction(schema: schema, table: name, column: column)
                actions[index] = action ?? .keep
            }
        }
        if catalogStale {
            // Not read for these patterns yet: the relation's columns are unknown.
            return false
        }
        columns.removeAll()
        for action in actions {
            let effective = action.masks ? action : (masks.scanner != nil ? CellMaskAction.scan : .keep)
            guard (try? columns.append(PostgresColumn(typeOID: PostgresTypeCategory.OID.text, action: effective))) != nil else { return false }
        }
        copyMasking = .columns(format)
        return true
    }

    /// The COPY statement whose Query is being answered now, if one was recorded.
    mutating func takePendingCopy() -> CopyStatement? {
        let current = readySeen &+ 1
        pendingCopies.removeAll { $0.mark < current }
        guard let first = pendingCopies.first, first.mark == current else { return nil }
        pendingCopies.removeFirst()
        return first.statement
    }

    /// Masks one CopyData row in place; false when it cannot be masked.
    mutating func maskCopyRow(_ message: UnsafeMutableRawBufferPointer) -> Bool {
        switch copyMasking {
        case .none:
            return true
        case .scanRows:
            resource.counters?.rowMasked()
            masks?.scanner?.maskInPlace(UnsafeMutableRawBufferPointer(rebasing: message[5...]))
            return true
        case .columns(let format):
            resource.counters?.rowMasked()
            if let scanner = masks?.scanner {
                return (try? CopyTextMasker.mask(message: message, columns: columns, format: format, scanner: scanner)) != nil
            }
            return (try? CopyTextMasker.mask(message: message, columns: columns, format: format, scanner: NoCellScanner())) != nil
        }
    }

    /// Masks what detectors find in an ErrorResponse or NoticeResponse (a failed cast echoes
    /// the value it could not read).
    func maskNotice(_ message: UnsafeMutableRawBufferPointer) {
        guard let scanner = masks?.scanner, message.count > 5 else { return }
        scanner.maskInPlace(UnsafeMutableRawBufferPointer(rebasing: message[5...]))
    }

    // MARK: COPY statements

    /// Checks a COPY ... TO STDOUT about to be sent under masks; returns the gateway's reason
    /// to refuse it, or nil.
    mutating func copyRefusal(_ text: UnsafeRawBufferPointer, extended: Bool) -> String? {
        guard let masks, summary.classes.contains(.copyTo) else { return nil }
        let statement = CopyStatement.parse(text, standardConformingStrings: classifier.options.standardConformingStrings)
        if statement?.format == .binary {
            return "binary COPY cannot be masked: use FORMAT text or csv"
        }
        guard !masks.columnPatterns.isEmpty else { return nil }
        guard !extended else { return "COPY TO through the extended protocol cannot be masked by column: send it as a simple query" }
        guard let statement else {
            return "COPY TO under column masks must be a single COPY table [(columns)] TO STDOUT statement with plain options"
        }
        guard case .relation = statement.source else {
            return "COPY (query) TO cannot be masked by column: COPY the table, or SELECT"
        }
        pendingCopies.append((mark: markersSent &+ 1, statement: statement))
        return nil
    }
}
