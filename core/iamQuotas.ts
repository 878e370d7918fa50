/**
 * IAM's policy quotas, and a policy cut into managed policies that IAM accepts.
 *
 * IAM User Guide, "IAM and AWS STS quotas" (the same in aws-cn): a managed policy holds at most
 * 6,144 characters; the inline policies of one user 2,048 together, of one role 10,240, of one group
 * 5,120; an identity has at most 10 managed policies attached (a quota that can be raised to 20).
 * "IAM doesn't count white space when calculating the size of a policy against these quotas."
 * tests/peers/moto_china.py teaches moto the same numbers, so a policy over them fails in the suite.
 */
import type { PolicyDocument, Statement } from "./iamPolicy";

export const IAM_QUOTAS = {
    managedPolicyCharacters: 6144,
    inlineUserPolicyCharacters: 2048,
    inlineGroupPolicyCharacters: 5120,
    inlineRolePolicyCharacters: 10240,
    managedPoliciesPerIdentity: 10,
    /** The most the managed-policies-per-identity quota can be raised to (Service Quotas). */
    managedPoliciesPerIdentityRaised: 20,
} as const;

/** The characters IAM counts in a policy: its JSON without white space. */
export function policyCharacters(doc: PolicyDocument | Statement): number {
    return JSON.stringify(doc).replace(/\s/g, "").length;
}

/** A statement that no managed policy can hold, even alone. */
export class PolicyTooLargeError extends Error {}

const EMPTY_DOCUMENT = policyCharacters({ Version: "2012-10-17", Statement: [] });

/**
 * A statement whose Resource list is too long for one policy, cut into statements that each fit
 * (the union of their resources is the same grant). Sids stay unique: `Buckets`, `Buckets2`, ….
 */
function fittingStatements(statement: Statement, limit: number): Statement[] {
    const room = limit - EMPTY_DOCUMENT;
    if (policyCharacters(statement) <= room) {
        return [statement];
    }
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    if (resources.length < 2) {
        throw new PolicyTooLargeError(
            `the statement ${statement.Sid} alone is ${policyCharacters(statement)} characters, over IAM's ${limit} for a managed policy`,
        );
    }
    const parts: Statement[] = [];
    let current: string[] = [];
    const withResources = (list: string[], n: number): Statement => ({
        ...statement,
        Sid: n === 0 ? statement.Sid : `${statement.Sid}${n + 1}`,
        Resource: list.length === 1 ? list[0] : list,
    });
    for (const resource of resources) {
        if (current.length > 0 && policyCharacters(withResources([...current, resource], parts.length)) > room) {
            parts.push(withResources(current, parts.length));
            current = [];
        }
        current.push(resource);
    }
    parts.push(withResources(current, parts.length));
    return parts.flatMap((p) => fittingStatements(p, limit));
}

/**
 * The policy as managed policies of at most `limit` characters each: the one document when it fits,
 * else its statements packed (largest first, each into the first part with room). Together they
 * grant and deny exactly what the one document does: IAM evaluates every policy attached to an
 * identity together, and an explicit Deny in any of them wins.
 */
export function asManagedPolicies(doc: PolicyDocument, limit: number = IAM_QUOTAS.managedPolicyCharacters): PolicyDocument[] {
    if (policyCharacters(doc) <= limit) {
        return [doc];
    }
    const statements = doc.Statement.flatMap((s) => fittingStatements(s, limit));
    const order = new Map(statements.map((s, i) => [s, i]));
    const parts: Statement[][] = [];
    for (const statement of [...statements].sort((a, b) => policyCharacters(b) - policyCharacters(a))) {
        const part = parts.find((p) => policyCharacters({ Version: doc.Version, Statement: [...p, statement] }) <= limit);
        if (part) {
            part.push(statement);
        } else {
            parts.push([statement]);
        }
    }
    // Each part in the generator's order, so that a part reads like the one document did.
    return parts.map((p) => ({ Version: doc.Version, Statement: p.sort((a, b) => order.get(a)! - order.get(b)!) }));
}
