import XCTest
@testable import MedaugTrainer

final class WorkspaceTests: XCTestCase {
    func testGrowsToTheLargestRequestThenReuses() {
        let workspace = Workspace()
        let first = workspace.floats(100)
        XCTAssertEqual(workspace.capacity, 100)
        XCTAssertEqual(workspace.floats(50), first)
        let grown = workspace.floats(300)
        XCTAssertEqual(workspace.capacity, 300)
        XCTAssertEqual(workspace.floats(100), grown)
    }

    func testGrowableBuffer() {
        let buffer = GrowableBuffer<Int32>(fill: 0)
        let first = buffer.reserve(10)
        XCTAssertEqual(buffer.reserve(5), first)
        _ = buffer.reserve(20)
        XCTAssertEqual(buffer.capacity, 20)
    }
}
