BprobabilitiesJï?â_~?ü}? “
<