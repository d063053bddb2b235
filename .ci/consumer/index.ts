// The consumer's Pulumi program (.ci/consumer-test.sh deploy runs it with pulumi up). Async: the
// cluster stack's outputs are read before the platform is declared.
import { teamPlatform } from "./program";

export = async () => {
    const team = await teamPlatform();
    return { hubUrl: team.hubUrl, namespace: team.namespace, imageRef: team.imageRef, clusterStack: team.clusterStack, clusterFacts: team.clusterFacts };
};
