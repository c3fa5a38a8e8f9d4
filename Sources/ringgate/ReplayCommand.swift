import ArgumentParser
import Foundation
import Gateway
import Glibc

/// `ringgate replay FILE`: prints a session recording as a readable transcript (statements,
/// decisions, masked results as tables, errors, end). A file of an unknown version is
/// refused; a truncated or malformed one is printed up to the damage, then refused.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Print a session recording as a readable transcript.")

    @Argument(help: "The recording file (.rgrec).")
    var file: String

    func run() throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
        } catch {
            printError("\(file): cannot read: \(error.localizedDescription)")
            throw ExitCode(1)
        }
        let failure = data.withUnsafeBytes { bytes in
            RecordingTranscript.write(bytes) { print($0) }
        }
        fflush(nil)
        if let failure {
            printError("\(file): \(failure)")
            throw ExitCode(1)
        }
    }
}
