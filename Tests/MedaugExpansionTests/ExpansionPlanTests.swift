import XCTest
@testable import MedaugExpansion

final class ExpansionPlanTests: XCTestCase {
    func testThePapersThirtyToThreeHundred() throws {
        var options = ExpansionOptions(target: 300)
        options.editValues = [4]
        options.seed = 11
        let plan = try planExpansion(realCount: 30, options: options)
        XCTAssertEqual(plan.count, 270)
        XCTAssertEqual(plan.filter { $0.recipe == .generated }.count, 135)
        XCTAssertEqual(plan.filter(\.edit).count, 68)
        XCTAssertTrue(plan.filter(\.edit).allSatisfy { $0.recipe == .generated })
        XCTAssertEqual(plan.map(\.source), (0..<270).map { $0 % 30 }, "round-robin over the real pairs")
        XCTAssertEqual(Set(plan.map(\.seed)).count, 270)
        XCTAssertEqual(try planExpansion(realCount: 30, options: options), plan, "the seed fixes the plan")
        options.seed = 12
        XCTAssertNotEqual(try planExpansion(realCount: 30, options: options).map(\.recipe), plan.map(\.recipe))
    }

    func testSharesAtTheirEnds() throws {
        var options = ExpansionOptions(target: 10)
        options.generatedShare = 0
        XCTAssertTrue(try planExpansion(realCount: 4, options: options).allSatisfy { $0.recipe == .classic })
        options.generatedShare = 1
        options.editValues = []
        let plan = try planExpansion(realCount: 4, options: options)
        XCTAssertTrue(plan.allSatisfy { $0.recipe == .generated && !$0.edit }, "no edit values: no edits")
        XCTAssertEqual(try planExpansion(realCount: 10, options: options), [], "target = real count: nothing new")
    }

    func testOptionsOutOfRangeAreNamed() {
        func message(_ change: (inout ExpansionOptions) -> Void, real: Int = 3) -> String {
            var options = ExpansionOptions(target: 9)
            change(&options)
            do {
                _ = try planExpansion(realCount: real, options: options)
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(message { $0.target = 2 }.contains("at least the 3 real pairs"))
        XCTAssertTrue(message { $0.target = ExpansionOptions.maxTarget + 1 }.contains("target"))
        XCTAssertTrue(message { $0.generatedShare = .nan }.contains("generated share"))
        XCTAssertTrue(message { $0.editShare = 1.5 }.contains("edit share"))
        XCTAssertTrue(message({ _ in }, real: 0).contains("no real pairs"))
        XCTAssertTrue(message { $0.maskPipeline = .paper }.contains("only hold geometric operations"))
    }
}
