BprobabilitiesJï?¼_~?(ü}?@”
<