internal import CYaml

/// Bounds on the shape of a configuration document, checked on libyaml's event stream *before*
/// the document is composed into a node tree.
///
/// Aliases share nodes when composed, but anything that walks the tree (hashing mapping keys,
/// the schema reader) sees the expanded tree; a few lines of anchors and aliases can expand to
/// billions of nodes ("billion laughs"). The check counts nodes as if every alias were expanded
/// (each anchor's expanded size and height are remembered, so the pass is linear in the text)
/// and stops at the first node past either bound, with its position.
enum YAMLBudget {
    /// Deepest nesting accepted (the schema itself needs fewer than 10 levels).
    static let maximumDepth = 64
    /// Most nodes the document may hold with every alias expanded.
    static let maximumNodes = 100_000

    struct Violation: Error, Equatable {
        /// 1-based, as ``SourceLocation``.
        var line: Int
        var column: Int
        var message: String
    }

    /// Returns the first bound the document exceeds, or `nil`. Syntax errors are not reported
    /// here (the composer reports them with its own message).
    static func check(_ text: String, maximumDepth: Int = maximumDepth, maximumNodes: Int = maximumNodes) -> Violation? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeMutableBufferPointer { buffer -> Violation? in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return scan(&parser, maximumDepth: maximumDepth, maximumNodes: maximumNodes)
        }
    }

    private struct Frame {
        /// Expanded node count when the collection started (before counting itself).
        var startCount: Int
        /// Tallest child subtree so far.
        var childHeight: Int
        var anchor: String?
    }

    private static func scan(_ parser: inout yaml_parser_t, maximumDepth: Int, maximumNodes: Int) -> Violation? {
        var stack: [Frame] = []
        var anchors: [String: (size: Int, height: Int)] = [:]
        var count = 0

        func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
        func violation(_ event: yaml_event_t, _ message: String) -> Violation {
            Violation(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1, message: message)
        }
        /// Records a finished node of `size` expanded nodes and `height` levels in its parent.
        func finish(size: Int, height: Int, anchor: String?) {
            if let anchor { anchors[anchor] = (size, height) }
            if !stack.isEmpty { stack[stack.count - 1].childHeight = max(stack[stack.count - 1].childHeight, height) }
        }

        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_SCALAR_EVENT:
                count += 1
                if count > maximumNodes {
                    return violation(event, "the document has more than \(maximumNodes) nodes")
                }
                if stack.count + 1 > maximumDepth {
                    return violation(event, "the document is nested deeper than \(maximumDepth) levels")
                }
                finish(size: 1, height: 1, anchor: anchorName(event.data.scalar.anchor))
            case YAML_ALIAS_EVENT:
                let name = anchorName(event.data.alias.anchor) ?? ""
                // An undefined alias is the composer's error to report.
                guard let target = anchors[name] else { break }
                count += target.size
                if count > maximumNodes {
                    return violation(
                        event,
                        "aliases expand the document to more than \(maximumNodes) nodes (alias amplification); "
                            + "anchors and aliases may only repeat small parts of the file")
                }
                if stack.count + target.height > maximumDepth {
                    return violation(event, "alias '*\(ConfigText.quoted(name))' nests the document deeper than \(maximumDepth) levels")
                }
                finish(size: target.size, height: target.height, anchor: nil)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                count += 1
                if count > maximumNodes {
                    return violation(event, "the document has more than \(maximumNodes) nodes")
                }
                if stack.count + 1 > maximumDepth {
                    return violation(event, "the document is nested deeper than \(maximumDepth) levels")
                }
                let anchor =
                    event.type == YAML_SEQUENCE_START_EVENT
                    ? anchorName(event.data.sequence_start.anchor) : anchorName(event.data.mapping_start.anchor)
                stack.append(Frame(startCount: count - 1, childHeight: 0, anchor: anchor))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { break }
                finish(size: count - frame.startCount, height: frame.childHeight + 1, anchor: frame.anchor)
            default:
                break
            }
        }
    }
}
