import IOCore
import Testing

@Suite struct IOBackendKindTests {
    @Test func parsesCommandLineNames() {
        #expect(IOBackendKind(rawValue: "io_uring") == .ioUring)
        #expect(IOBackendKind(rawValue: "epoll") == .epoll)
        #expect(IOBackendKind(rawValue: "select") == nil)
    }
}
