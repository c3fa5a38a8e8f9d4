import Foundation

/// Lists (groups, classes, relations) are kept as JSON arrays of strings in a text column.
enum StoreListCoding {
    static func encode(_ list: [String]) -> String {
        // Encoding an array of strings cannot fail.
        let data = (try? JSONEncoder().encode(list)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
