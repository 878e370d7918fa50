"""Writes or removes one DNS-01 TXT value in Route 53 (moto), for certbot's and lego's hooks.

Both peers are given the same DNS path as ours: the value goes into the Route 53 zone with the longest
matching suffix (UPSERT keeping other values), and the change is awaited until INSYNC.

  route53_txt.py add|remove <fqdn> <value>     (endpoint from AWS_ENDPOINT_URL)
"""
import os
import sys
import time

import boto3


def main() -> None:
    action, fqdn, value = sys.argv[1], sys.argv[2].rstrip("."), sys.argv[3]
    r53 = boto3.client("route53", region_name="cn-north-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    zones = [z for z in r53.list_hosted_zones()["HostedZones"] if not z["Config"]["PrivateZone"]]
    zone = max((z for z in zones if fqdn == z["Name"].rstrip(".") or fqdn.endswith("." + z["Name"].rstrip("."))), key=lambda z: len(z["Name"]))
    sets = r53.list_resource_record_sets(HostedZoneId=zone["Id"], StartRecordName=fqdn, StartRecordType="TXT", MaxItems="1")["ResourceRecordSets"]
    current = [r["Value"].strip('"') for s in sets if s["Type"] == "TXT" and s["Name"].rstrip(".") == fqdn for r in s["ResourceRecords"]]
    values = sorted(set(current) | {value}) if action == "add" else [v for v in current if v != value]
    if values:
        change = {"Action": "UPSERT", "ResourceRecordSet": {"Name": fqdn, "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": f'"{v}"'} for v in values]}}
    elif current:
        change = {"Action": "DELETE", "ResourceRecordSet": {"Name": fqdn, "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": f'"{v}"'} for v in current]}}
    else:
        return
    change_id = r53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": [change]})["ChangeInfo"]["Id"]
    while r53.get_change(Id=change_id)["ChangeInfo"]["Status"] != "INSYNC":
        time.sleep(0.2)


if __name__ == "__main__":
    main()
